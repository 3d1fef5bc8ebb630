"""Call recording (双录): Qt-free recorder, encrypted segment format, spool and resumable uploader."""
