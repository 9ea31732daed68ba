alter table ticket_types
    drop constraint ticket_types_sale_window_check,
    drop column sale_ends_at,
    drop column sale_starts_at;
