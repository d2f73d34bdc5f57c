"""The Flask web forms: rater forms, public QR forms (and later the HR pages)."""
