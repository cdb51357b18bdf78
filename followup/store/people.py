"""People in the store: addresses, their names, and the person flags (muted, important)."""

from __future__ import annotations

from sqlalchemy import select, update

from followup.store.base import StoreBase
from followup.store.handles import PE, A


class PeopleStore(StoreBase):
    """People."""

    # -- people --------------------------------------------------------------------

    def set_person_flag(
        self, email: str, *, muted: bool | None = None, important: bool | None = None
    ) -> None:
        """Mute/unmute or mark important: stored on the person behind the address."""
        email = email.strip().lower()
        with self.begin() as conn:
            row = conn.execute(select(A.c.person_id, A.c.name).where(A.c.email == email)).first()
            if row is None:
                conn.execute(A.insert().values(email=email, name=""))
                person_id = None
            else:
                person_id = row.person_id
            if person_id is None:
                inserted = conn.execute(
                    PE.insert().values(name=row.name if row else "", muted=False, important=False)
                ).inserted_primary_key
                assert inserted is not None
                person_id = inserted[0]
                conn.execute(update(A).where(A.c.email == email).values(person_id=person_id))
            values: dict[str, bool] = {}
            if muted is not None:
                values["muted"] = muted
            if important is not None:
                values["important"] = important
            if values:
                conn.execute(update(PE).where(PE.c.id == person_id).values(**values))

    def person_flags(self) -> dict[str, tuple[bool, bool]]:
        """{email: (muted, important)} for addresses with a person record."""
        with self.begin() as conn:
            rows = conn.execute(
                select(A.c.email, PE.c.muted, PE.c.important).join(PE, PE.c.id == A.c.person_id)
            )
            return {e: (bool(m), bool(i)) for e, m, i in rows}

    def address_names(self) -> dict[str, str]:
        with self.begin() as conn:
            return dict(conn.execute(select(A.c.email, A.c.name)).all())
