"""Remote audio output: Qt Multimedia when an output device exists, else a silent sink that says so."""
