-- Undo 0003: one line per owner and product again, claimed or not. Fails
-- while an owner has a claimed and a live line of one product.
drop index cart_items_user_product_key;
drop index cart_items_session_product_key;
create unique index cart_items_user_product_key on cart_items (user_id, product_id)
    where deleted_at is null and user_id is not null;
create unique index cart_items_session_product_key on cart_items (session_id, product_id)
    where deleted_at is null and user_id is null;
