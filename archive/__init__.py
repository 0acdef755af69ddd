"""The archive: SQLAlchemy models, storage and search. Imports nothing else of the project."""
