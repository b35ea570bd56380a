-- Ops samples (the ops page's "Fleet resources and upstream" charts): Redis memory, queue depths,
-- upstream counters, breaker state, freshness age and process RSS/CPU, written about every minute
-- by the sample-ops maintenance task and pruned after retention.samplesDays.
CREATE TABLE "ops"."samples" (
	"sampled_at" timestamp with time zone NOT NULL,
	"metric" text NOT NULL,
	"subject" text DEFAULT '' NOT NULL,
	"value" double precision NOT NULL,
	CONSTRAINT "samples_metric_subject_sampled_at_pk" PRIMARY KEY("metric","subject","sampled_at")
);
--> statement-breakpoint
CREATE INDEX "samples_sampled_at" ON "ops"."samples" USING btree ("sampled_at");