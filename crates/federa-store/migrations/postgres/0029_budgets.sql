-- Monthly budgets in EUR on consumers and projects, kept as whole cents so
-- the forecast a budget is checked against is an exact integer sum.
--
-- `monthly_budget` is NULL for no budget. `budget_alerts` holds the
-- percentages of the budget alerted on as a JSON array, NULL for the
-- default. `budget_alerted` is the highest of them the forecast reached
-- when last looked at, so each crossing is alerted once. A project's
-- `over_budget` says what accepting an order past its budget does:
-- 'Refuse' it or 'AwaitApproval'.
ALTER TABLE participants ADD COLUMN monthly_budget BIGINT CHECK (monthly_budget >= 0);
ALTER TABLE participants ADD COLUMN budget_alerts TEXT;
ALTER TABLE participants ADD COLUMN budget_alerted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN monthly_budget BIGINT CHECK (monthly_budget >= 0);
ALTER TABLE projects ADD COLUMN budget_alerts TEXT;
ALTER TABLE projects ADD COLUMN budget_alerted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN over_budget TEXT NOT NULL DEFAULT 'Refuse';

-- A placed service's monthly price, in whole cents rounded up, as placement
-- priced it: what its budget forecast counts.
ALTER TABLE placements ADD COLUMN monthly_cents BIGINT NOT NULL DEFAULT 0;
UPDATE placements SET monthly_cents = CEIL(ROUND(CAST(hourly_price AS NUMERIC) * 730, 2) * 100);
