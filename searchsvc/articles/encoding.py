"""Turn the bytes of a file into text: BOMs, UTF-8, then Windows-1252 and Latin-1."""

import codecs

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def looks_binary(data: bytes) -> bool:
    """True when the start of the data has NUL bytes and no BOM explains them."""
    head = data[:8192]
    return b"\x00" in head and not any(head.startswith(bom) for bom, _ in _BOMS)


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Decode text of unknown encoding: a BOM, else the `declared` codec (an HTML page's
    charset), UTF-8, Windows-1252, Latin-1, the first that fits; line ends become '\\n'."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = data[len(bom):].decode(encoding, errors="replace")
            break
    else:
        for encoding in filter(None, (declared, "utf-8", "cp1252")):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            text = data.decode("latin-1")
    return text.replace("\r\n", "\n").replace("\r", "\n")


# Windows-1252 for each byte, Latin-1 for the five bytes Windows-1252 leaves undefined: the
# characters decode_text's fallbacks give a byte.
_SINGLE_BYTE = [bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256)]


def _single_byte(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return "".join(_SINGLE_BYTE[b] for b in error.object[error.start:error.end]), error.end


codecs.register_error("searchsvc-cp1252", _single_byte)


def stream_encoding(head: bytes) -> tuple[str, int]:
    """The codec of a file read a piece at a time, from its first four or more bytes, and the
    length of the BOM to skip."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding, len(bom)
    return "utf-8", 0


def stream_decoder(encoding: str) -> codecs.IncrementalDecoder:
    """A decoder for a file read a piece at a time. UTF-8 reads each byte that is not valid
    UTF-8 as Windows-1252: decode_text's fallback, for those bytes only, so one line in
    another encoding does not turn the rest of a big export into mojibake."""
    errors = "searchsvc-cp1252" if encoding == "utf-8" else "replace"
    return codecs.getincrementaldecoder(encoding)(errors)
