-- Delivery leases (docs/federation.md "Delivery"): a worker claims a batch
-- of due deliveries for a while (claimed_by, lease_until), sends them with
-- no transaction open and records each result, which clears the claim. A
-- claimed row is skipped by other workers until its lease runs out, so
-- several workers (instances, or runs of the job) deliver at once without
-- sending one row twice; a worker that dies leaves its rows claimed, and
-- they are due again when the lease expires.
alter table ap_deliveries
    add column claimed_by  text,
    add column lease_until timestamptz,
    add constraint ap_deliveries_lease_check check ((claimed_by is null) = (lease_until is null));
