"""Writes docs/register-sample.xlsx, the sample household register (README, "Household register
import"): `.venv/bin/python docs/register_sample.py`. Made-up people; the numbers are in the
139 0000 0xxx range, which no demo resident uses."""

from datetime import date
from pathlib import Path

import openpyxl
from openpyxl.styles import Font

HEADERS = ["户号", "村民小组", "姓名", "与户主关系", "性别", "出生日期", "手机号"]
PEOPLE = [
    ("001", "一组", "赵德明", "户主", "男", date(1958, 4, 12), "139 0000 0101"),
    ("001", "一组", "钱秀英", "配偶", "女", date(1960, 9, 3), ""),
    ("001", "一组", "赵小军", "子", "男", date(1985, 1, 20), "139 0000 0102"),
    ("001", "一组", "孙丽", "儿媳", "女", date(1987, 6, 8), "139 0000 0103"),
    ("001", "一组", "赵欣怡", "孙子女", "女", date(2012, 11, 30), ""),
    ("002", "一组", "李国强", "户主", "男", date(1966, 2, 17), "139 0000 0201"),
    ("002", "一组", "周桂兰", "配偶", "女", date(1968, 7, 25), "139 0000 0201"),
    ("002", "一组", "李梅", "女", "女", date(1995, 3, 14), "139 0000 0202"),
    ("003", "二组", "王建华", "户主", "男", date(1972, 12, 1), "139 0000 0301"),
    ("003", "二组", "吴春燕", "配偶", "女", date(1974, 5, 19), "139 0000 0302"),
    ("003", "二组", "王浩", "子", "男", date(2001, 8, 9), ""),
    ("003", "二组", "王老根", "父母", "男", date(1945, 10, 2), ""),
    ("004", "二组", "郑玉珍", "户主", "女", date(1950, 3, 28), "139 0000 0401"),
    ("004", "二组", "冯磊", "女婿", "男", date(1979, 4, 4), "139 0000 0402"),
    ("004", "二组", "郑红", "女", "女", date(1980, 1, 15), ""),
]


def build(path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "户籍花名册"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for person in PEOPLE:
        sheet.append(list(person))
        sheet.cell(row=sheet.max_row, column=6).number_format = "yyyy-mm-dd"
    for column, width in zip("ABCDEFG", (8, 10, 10, 12, 6, 12, 16), strict=True):
        sheet.column_dimensions[column].width = width
    book.properties.creator = "Village Affairs Platform"
    book.save(path)


if __name__ == "__main__":
    build(Path(__file__).with_name("register-sample.xlsx"))
