"""One table of figures against their floors and targets, as `make bench` prints it."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """A figure measured beside its floor in the same run.

    `limit` is the target as a bound on `figure / floor` (ratio targets) or on the
    figure itself (when `absolute`); `higher_is_better` flips the comparison
    (throughput)."""

    name: str
    figure: float
    floor: float
    unit: str
    target: str
    limit: float
    absolute: bool = False
    higher_is_better: bool = False
    floor_name: str = ""

    @property
    def ratio(self) -> float:
        return self.figure / self.floor if self.floor else float("inf")

    @property
    def met(self) -> bool:
        value = self.figure if self.absolute else self.ratio
        return value >= self.limit if self.higher_is_better else value <= self.limit


def _number(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value:,.1f} ms"
    if unit == "s":
        return f"{value:,.1f} s"
    return f"{value:,.0f} {unit}"


def table(rows: list[Row]) -> str:
    lines = [
        "| benchmark | figure | floor | ratio | target | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        floor = _number(row.floor, row.unit) + (f" ({row.floor_name})" if row.floor_name else "")
        lines.append(
            f"| {row.name} | {_number(row.figure, row.unit)} | {floor} | {row.ratio:.2f}x "
            f"| {row.target} | {'yes' if row.met else 'NO'} |"
        )
    return "\n".join(lines)
