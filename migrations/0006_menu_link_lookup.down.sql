drop index menu_nodes_link_idx;
