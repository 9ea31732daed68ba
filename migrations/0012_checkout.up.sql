-- Checkout (issue 15): a guest's order is shown through a link carrying
-- this key (the receipt's "view your order"), as random as a ticket code
-- and, like a ticket code, kept as it is: it only shows one order and its
-- tickets, whose codes are stored the same way.
alter table orders add column guest_key text;
