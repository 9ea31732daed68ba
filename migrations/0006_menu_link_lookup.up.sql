-- The navigation finds every node of a container (detach, reconcile) by
-- what it links, across all menus.
create index menu_nodes_link_idx on menu_nodes (link_type, link_id)
    where deleted_at is null and link_type is not null;
