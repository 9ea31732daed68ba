-- A cart line claimed by a pending order (order_id set) is no longer in
-- the cart: the shopper may put the same product in the cart again, and a
-- session's line may be adopted beside it. So "one live line per owner and
-- product" covers only unclaimed lines. A failed or cancelled order gives
-- its lines back by merging them into any live line of the same product.
drop index cart_items_user_product_key;
drop index cart_items_session_product_key;
create unique index cart_items_user_product_key on cart_items (user_id, product_id)
    where deleted_at is null and order_id is null and user_id is not null;
create unique index cart_items_session_product_key on cart_items (session_id, product_id)
    where deleted_at is null and order_id is null and user_id is null;
