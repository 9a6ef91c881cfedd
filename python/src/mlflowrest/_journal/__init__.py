"""The on-disk journal of docs/journal.md: writes recorded before they are sent, offline runs, sync.

_format: names and ids; _writer / _reader: one file; _replay: sending one recorded call;
_recorder: the client's journal (journal and offline modes); _sync: the `sync` command."""
