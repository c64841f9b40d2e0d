"""Online backups of the hall database while the hall server keeps serving."""
