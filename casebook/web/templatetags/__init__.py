"""Template filters of Casebook's pages."""
