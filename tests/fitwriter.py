"""A minimal FIT encoder for test fixtures (strength activities with ``set`` messages).

Only what the tests need: little-endian definition and data messages of fixed-size fields, the
14-byte header and the file CRC (FIT SDK protocol 2.0). The files it writes are decoded by
``fitdecode`` like any device file.
"""

from __future__ import annotations

import struct

_CRC_TABLE = (
    0x0000,
    0xCC01,
    0xD801,
    0x1400,
    0xF001,
    0x3C00,
    0x2800,
    0xE401,
    0xA001,
    0x6C00,
    0x7800,
    0xB401,
    0x5000,
    0x9C01,
    0x8801,
    0x4400,
)
#: FIT base types: name -> (code, struct format).
_BASE = {"enum": (0x00, "B"), "uint8": (0x02, "B"), "uint16": (0x84, "H"), "uint32": (0x86, "I")}
FIT_EPOCH_UNIX = 631065600


def crc16(data: bytes, crc: int = 0) -> int:
    for byte in data:
        for nibble in (byte & 0xF, byte >> 4):
            tmp = _CRC_TABLE[crc & 0xF]
            crc = (crc >> 4) & 0x0FFF
            crc = crc ^ tmp ^ _CRC_TABLE[nibble]
    return crc


class FitWriter:
    """Collect messages, then ``bytes()`` the file."""

    def __init__(self) -> None:
        self.body = bytearray()
        self._local = 0

    def message(self, global_num: int, fields: list[tuple[int, str, int]]) -> None:
        """One definition + data message; fields are (field number, base type, value)."""
        local = self._local % 16
        self._local += 1
        self.body += struct.pack("<BBBHB", 0x40 | local, 0, 0, global_num, len(fields))
        fmt = "<B"
        values = [local]
        for num, base, value in fields:
            code, f = _BASE[base]
            self.body += struct.pack("<BBB", num, struct.calcsize(f), code)
            fmt += f
            values.append(value)
        self.body += struct.pack(fmt, *values)

    def __bytes__(self) -> bytes:
        header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(self.body), b".FIT")
        header += struct.pack("<H", crc16(header))
        data = header + bytes(self.body)
        return data + struct.pack("<H", crc16(data))


def fit_time(unix_seconds: float) -> int:
    return int(unix_seconds - FIT_EPOCH_UNIX)


def strength_file(start_unix: int, sets: list[dict]) -> bytes:
    """A strength activity: file_id, one session (training/strength_training) and ``set``s.

    Each set dict: ``category`` (int), ``subtype`` (int), ``reps``, ``weight_kg``, ``duration_s``,
    ``rest`` (bool), ``pounds`` (bool: display unit).
    """
    w = FitWriter()
    t0 = fit_time(start_unix)
    w.message(0, [(0, "enum", 4), (1, "uint16", 1), (4, "uint32", t0)])  # file_id: activity
    t = t0
    for k, s in enumerate(sets):
        dur = int(round(s.get("duration_s", 30) * 1000))
        rest = s.get("rest", False)
        fields = [
            (254, "uint32", t + int(s.get("duration_s", 30))),
            (0, "uint32", dur),
            (3, "uint16", 0xFFFF if rest or s.get("reps") is None else int(s["reps"])),
            (
                4,
                "uint16",
                0xFFFF if rest or s.get("weight_kg") is None else int(round(s["weight_kg"] * 16)),
            ),
            (5, "uint8", 0 if rest else 1),
            (6, "uint32", t),
            (7, "uint16", 0xFFFF if rest else s["category"]),
            (8, "uint16", 0xFFFF if rest else s["subtype"]),
            (9, "uint16", 2 if s.get("pounds") else 1),
            (10, "uint16", k),
        ]
        w.message(225, fields)
        t += int(s.get("duration_s", 30))
    total = t - t0
    w.message(
        18,
        [
            (253, "uint32", t),
            (2, "uint32", t0),
            (7, "uint32", total * 1000),
            (8, "uint32", total * 1000),
            (5, "enum", 10),  # sport: training
            (6, "enum", 20),  # sub_sport: strength_training
        ],
    )
    return bytes(w)
