-- Undo 0001_init.up.sql.
drop table sx_meta;
