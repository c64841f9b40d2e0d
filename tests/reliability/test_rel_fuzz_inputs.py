"""Every parser of outside bytes fuzzed with Hypothesis: it rejects with its own error, never crashes
or hangs, and a good message after garbage still gets through.

Covered: the board codecs (frames a board or the bus receives), the ESC/POS tokenizer (what the
virtual printer reads), the ID-number parser, the card reader's SAM frames and text block, config
loading (TOML text and mutated tables). Images are in test_rel_images.py.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import tomllib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onevisit.core.config import ConfigError, load_config, parse_config
from onevisit.core.errors import OneVisitError
from onevisit.core.identity import InvalidIdNumber, parse_id
from onevisit.devices.boards.codec import Ack, Command, Nak, Rejected, codec_for
from onevisit.devices.cardreader import frames as card
from onevisit.devices.printer.layout import JobBuilder
from onevisit.sim.printer.tokenizer import TokenizeError, Tokenizer, tokenize
from onevisit.sim.records.idgen import REGIONS, make_id
from tests.conftest import REPO

pytestmark = pytest.mark.timeout(120)

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
TODAY = dt.date(2026, 11, 23)
chunks = st.lists(st.binary(max_size=64), max_size=12)
#: The card's text block is UCS-2: one 16-bit unit per character.
BMP = st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",))


# -- board codecs -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["default", "line"])
@FUZZ
@given(garbage=chunks, text=st.text(alphabet="A0123456789 请到号窗口正在办理", max_size=20))
def test_board_parser_survives_garbage_and_resyncs(name, garbage, text):
    codec = codec_for(name)
    parser = codec.parser()
    for chunk in garbage:
        for message in parser.feed(chunk):
            assert isinstance(message, Command | Ack | Nak | Rejected)
        assert parser.pending() <= 4096, "the parser holds back garbage without bound"
    parser.flush_partial()  # the line went quiet: a board drops what it had
    got = parser.feed(codec.encode_text(7, text))
    commands = [m for m in got if isinstance(m, Command)]
    assert commands and commands[-1].address == 7 and commands[-1].text == text


@pytest.mark.parametrize("name", ["default", "line"])
@FUZZ
@given(data=st.binary(max_size=300))
def test_board_reply_decoding_never_raises(name, data):
    assert isinstance(codec_for(name).decode_reply(data), Ack | Nak | Rejected)


# -- ESC/POS tokenizer --------------------------------------------------------------------------


@FUZZ
@given(data=st.binary(max_size=400))
def test_tokenizer_rejects_or_tokenizes(data):
    try:
        tokens = tokenize(data)
    except TokenizeError as exc:
        assert 0 <= exc.offset <= len(data)
        return
    assert (
        b"".join(t.raw for t in tokens) == data
        or tokens == []
        or sum(len(t.raw) for t in tokens) <= len(data)
    )


def _sample_job() -> bytes:
    from onevisit.core.config import PrinterConfig

    b = JobBuilder.for_config(PrinterConfig(chinese="gbk", native_qr=True))
    b.text("示范区社会保险服务大厅", bold=True, align="center")
    b.text("A012", scale=5, bold=True, align="center")
    b.text("前面还有 3 人 3 ahead")
    b.qr("http://127.0.0.1:8600/t/A012?c=ABC234")
    return b.cut()


SAMPLE_JOB = _sample_job()


@FUZZ
@given(cuts=st.lists(st.integers(min_value=0, max_value=len(SAMPLE_JOB)), max_size=20))
def test_tokenizer_gives_the_same_tokens_however_the_bytes_arrive(cuts):
    whole = [(t.name, t.value) for t in tokenize(SAMPLE_JOB)]
    tok = Tokenizer()
    got = []
    last = 0
    for cut in [*sorted(cuts), len(SAMPLE_JOB)]:
        got += tok.feed(SAMPLE_JOB[last:cut])
        last = cut
    tok.close()
    # A run of text may arrive in pieces; the printer prints the pieces one after the other.
    assert _merged(got) == _merged_pairs(whole)


def _merged(tokens) -> list:
    return _merged_pairs([(t.name, t.value) for t in tokens])


def _merged_pairs(pairs) -> list:
    out: list = []
    for name, value in pairs:
        if name == "text" and out and out[-1][0] == "text":
            out[-1] = ("text", out[-1][1] + value)
        else:
            out.append((name, value))
    return out


@FUZZ
@given(prefix=st.binary(max_size=40), at=st.integers(min_value=0, max_value=len(SAMPLE_JOB)))
def test_tokenizer_on_a_job_cut_short_or_with_garbage_in_front(prefix, at):
    with contextlib.suppress(TokenizeError):
        tokenize(prefix + SAMPLE_JOB[:at])


# -- ID numbers -----------------------------------------------------------------------------------


@FUZZ
@given(raw=st.text(max_size=30) | st.from_regex(r"\A[0-9]{17}[0-9Xx]\Z"))
def test_id_parser_accepts_or_explains(raw):
    try:
        parsed = parse_id(raw, TODAY)
    except InvalidIdNumber as exc:
        assert (exc.zh and exc.en and raw.strip() not in exc.en) or len(raw.strip()) < 6
        return
    assert len(parsed.value) == 18 and parsed.masked.count("*") == 8


@FUZZ
@given(
    region=st.sampled_from(sorted(REGIONS)),
    born=st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY),
    seq=st.integers(0, 999),
    female=st.booleans(),
    pos=st.integers(0, 16),
    digit=st.integers(0, 9),
)
def test_any_single_digit_typo_is_caught(region, born, seq, female, pos, digit):
    good = make_id(region, born, seq, female).value
    assert parse_id(good, TODAY).value == good
    typo = good[:pos] + str(digit) + good[pos + 1 :]
    if typo != good:
        with pytest.raises(InvalidIdNumber):
            parse_id(typo, TODAY)


# -- card reader frames --------------------------------------------------------------------------


@FUZZ
@given(data=chunks)
def test_card_frame_decoder_rejects_garbage_with_its_own_error(data):
    decoder = card.FrameDecoder()
    for chunk in data:
        try:
            for frame in decoder.feed(chunk):
                _parse_or_refuse(frame)
        except card.CardReadError as exc:
            assert exc.code and exc.zh and exc.en
        assert decoder.pending <= card.MAX_BODY + 16


def _parse_or_refuse(frame: card.Frame) -> None:
    try:
        read = card.parse_read_response(frame, today=TODAY)
    except card.CardReadError:
        return
    assert read.id_number.value


@FUZZ
@given(body=st.binary(min_size=1, max_size=600), text=st.binary(min_size=256, max_size=256))
def test_card_answers_with_random_bodies_and_text_blocks(body, text):
    for candidate in (
        body,
        b"\x00\x00\x90" + card.read_data(text),
        b"\x00\x00\x90" + card.read_data(text, body),
    ):
        frame = card.decode_one(card.encode(candidate))
        _parse_or_refuse(frame)


@FUZZ
@given(
    name=st.text(BMP, max_size=15),
    id_number=st.text(BMP, max_size=18) | st.from_regex(r"\A[0-9]{17}[0-9X]\Z"),
    gender=st.sampled_from(["1", "2", "3", "", "男"]),
    birth=st.text("0123456789", max_size=8),
)
def test_card_text_fields_are_checked(name, id_number, gender, birth):
    try:
        raw = card.encode_text(
            {
                "name": name,
                "gender": gender,
                "nation": "01",
                "birth": birth,
                "address": "x",
                "id_number": id_number,
            }
        )
    except (ValueError, KeyError, UnicodeEncodeError, OneVisitError):
        return  # the simulator refuses to build it: nothing to parse
    try:
        read = card.parse_text(raw, today=TODAY)
    except card.CardReadError as exc:
        assert exc.zh and exc.en
        return
    assert read.birth_date == read.id_number.birth_date


# -- config ---------------------------------------------------------------------------------------

RAW_CONFIG = tomllib.loads((REPO / "config.toml").read_text("utf-8"))
odd_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def _paths(d, prefix=()):
    for k, v in d.items():
        yield (*prefix, k)
        if isinstance(v, dict):
            yield from _paths(v, (*prefix, k))
        elif isinstance(v, list):
            for i, item in enumerate(v):
                if isinstance(item, dict):
                    yield from _paths(item, (*prefix, k, i))


PATHS = list(_paths(RAW_CONFIG))


@FUZZ
@given(seed=st.integers(0, 2**32), value=odd_values, delete=st.booleans())
def test_config_with_a_wrong_value_anywhere_is_a_config_error(seed, value, delete):
    import copy

    raw = copy.deepcopy(RAW_CONFIG)
    path = random.Random(seed).choice(PATHS)
    node = raw
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    try:
        config = parse_config(raw)
    except ConfigError as exc:
        assert "invalid" in str(exc)
        return
    assert config.windows and config.matters


@FUZZ
@given(text=st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_config_file_that_is_not_toml(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("cfg") / "config.toml"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    with contextlib.suppress(ConfigError):
        load_config(path)
