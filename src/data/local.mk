# src/data: see CONTRIBUTING.md. Sources are added to libsegrep_impl.la.
