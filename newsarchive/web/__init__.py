"""The web reading room and JSON API over an archive (``newsarchive serve``).

Server-rendered pages that work without JavaScript, a JSON API with the export's field names,
read-only, reading through the archive's query functions (``archive.browse`` and the
``Archive`` methods the CLI uses). Imported only by ``newsarchive serve`` and
``newsarchive demo --serve``, so that the rest of the CLI starts without it.
"""
