"""The baseline of bench_load.py: a bare FastAPI + SQLAlchemy event endpoint.

``POST /api/v1/events`` validates the same JSON body as the product and
inserts the same ``events`` row (the same columns and types, one commit),
then answers ``201 {"id": ...}``. Nothing else: no account, no rules, no
webhooks. It runs under uvicorn exactly like the product, with the same
number of workers, and reads its database from ``BARE_DATABASE_URL``::

    BARE_DATABASE_URL=sqlite:////tmp/bare.db uvicorn bench.load_bare_app:app

The table is created at start-up when it is missing. SQLite gets the
product's connection settings (WAL, synchronous=NORMAL, a busy timeout), so
the comparison is between the code paths and not between journal modes.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import JSON, DateTime, Integer, String, Text, create_engine, event
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker


class Base(DeclarativeBase):
    pass


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[int | None] = mapped_column(Integer, index=True, default=None)
    description: Mapped[str] = mapped_column(Text, default="")
    objects_detected: Mapped[list[Any]] = mapped_column(JSON, default=list)
    confidence: Mapped[int] = mapped_column(Integer, default=0)
    timestamp: Mapped[datetime] = mapped_column(DateTime, default=_now, index=True)
    ai_provider: Mapped[str | None] = mapped_column(String(20), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)


class EventIn(BaseModel):
    camera_id: int = Field(ge=1)
    description: str | None = Field(default=None, max_length=5000)
    objects_detected: list[str] = Field(default_factory=list, max_length=50)
    confidence: int = Field(ge=0, le=100)


class EventOut(BaseModel):
    id: int


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _engine(url: str) -> Any:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


engine = _engine(os.environ["BARE_DATABASE_URL"])
try:
    Base.metadata.create_all(engine)
except (OperationalError, ProgrammingError):  # the other worker created it at the same moment
    Base.metadata.create_all(engine)
factory = sessionmaker(engine, expire_on_commit=False)
app = FastAPI()


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/api/v1/events", status_code=201)
def create_event(body: EventIn) -> EventOut:
    labels = list(dict.fromkeys(label.strip().lower() for label in body.objects_detected))
    row = Event(
        camera_id=body.camera_id,
        description=body.description or "",
        objects_detected=labels,
        confidence=body.confidence,
    )
    with factory() as session:
        session.add(row)
        session.commit()
        return EventOut(id=row.id)
