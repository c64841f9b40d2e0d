"""Statistics: a day's figures from the event and step tables, reports, and the hall-day simulator."""
