"""The city region: every hall's rows shipped outbound to one server, city figures by the hall's
own figures code, central bookings for any hall (docs/region.md)."""
