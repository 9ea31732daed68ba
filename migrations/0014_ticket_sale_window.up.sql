-- Issue 16 (admin of events): a ticket type is on sale from sale_starts_at
-- until sale_ends_at (either may be null: no bound). reserve-tickets
-- refuses outside the window; the organiser sets it in the admin.
alter table ticket_types
    add column sale_starts_at timestamptz,
    add column sale_ends_at   timestamptz,
    add constraint ticket_types_sale_window_check
        check (sale_starts_at is null or sale_ends_at is null or sale_ends_at > sale_starts_at);
