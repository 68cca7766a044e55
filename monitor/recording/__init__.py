"""Everything that reads or writes files: the session file, its reader, importers and exporters."""
