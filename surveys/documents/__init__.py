"""Writers of files without the database: PDF fonts, charts, QR codes, spreadsheet cells."""
