"""The database: schema, migrations, the Store repository and its queries."""
