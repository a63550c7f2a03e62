"""`teethseg predict`: files and folders in, each result out as PNG, JSON and DICOM files."""
