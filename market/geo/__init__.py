"""Administrative units of Vietnam: the two-tier catalog (province, then ward or commune) since 1 July 2025."""
