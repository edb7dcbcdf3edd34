"""The one emulated person: physiology and identity derived from the seed."""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import date

from fitbit_sync.emulator.generator.rng import derive, rng


@dataclass(frozen=True)
class Person:
    health_user_id: str
    legacy_user_id: str
    age: int
    height_mm: int
    weight_g: float  # long-term mean
    body_fat_pct: float
    rest_hr: float
    max_hr: int
    vo2_max: float
    hrv_ms: float
    spo2_pct: float
    breaths_per_minute: float
    skin_temp_c: float
    walk_stride_mm: int
    run_stride_mm: int
    bmr_kcal: float  # per day
    membership_start: date

    @property
    def weight_kg(self) -> float:
        return self.weight_g / 1000.0


def make_person(seed: int, health_user_id: str | None = None, legacy_user_id: str | None = None) -> Person:
    r = rng(seed, "person")
    age = r.randint(29, 52)
    height_mm = r.randint(1650, 1900)
    weight_g = round(height_mm * height_mm / 1e6 * r.uniform(21.5, 26.5) * 1000, -1)
    body_fat = round(r.uniform(15.0, 26.0), 1)
    hid = health_user_id or str(1_000_000_000_000_000_000 + derive(seed, "healthUserId") % 8_000_000_000_000_000_000)
    alphabet = string.ascii_uppercase + string.digits
    lid_rng = rng(seed, "legacyUserId")
    lid = legacy_user_id or "".join(lid_rng.choice(alphabet) for _ in range(6))
    walk_stride = int(height_mm * 0.415)
    bmr = 10 * weight_g / 1000 + 6.25 * height_mm / 10 - 5 * age + 5
    return Person(
        health_user_id=hid,
        legacy_user_id=lid,
        age=age,
        height_mm=height_mm,
        weight_g=weight_g,
        body_fat_pct=body_fat,
        rest_hr=r.uniform(52.0, 63.0),
        max_hr=220 - age,
        vo2_max=r.uniform(39.0, 50.0),
        hrv_ms=r.uniform(32.0, 58.0),
        spo2_pct=r.uniform(95.6, 97.4),
        breaths_per_minute=r.uniform(13.0, 16.0),
        skin_temp_c=r.uniform(33.2, 34.6),
        walk_stride_mm=walk_stride,
        run_stride_mm=int(walk_stride * 1.45),
        bmr_kcal=bmr,
        membership_start=date(2016 + r.randint(0, 5), r.randint(1, 12), r.randint(1, 28)),
    )
