-- A stage's latest runs (ops page Stages section, stage-failed alerts) without scanning every
-- ingest's stage row.
CREATE INDEX "stage_runs_stage_started" ON "ops"."stage_runs" USING btree ("stage","started_at");
