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
