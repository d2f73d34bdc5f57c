"""Tests of the file writers: PDF fonts, charts, QR codes, spreadsheet cells."""
