CREATE TABLE "ops"."alerts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "ops"."alerts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"key" text NOT NULL,
	"kind" text NOT NULL,
	"severity" text NOT NULL,
	"summary" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"last_notified_at" timestamp with time zone,
	"resolved_at" timestamp with time zone,
	CONSTRAINT "alerts_severity" CHECK ("ops"."alerts"."severity" IN ('warning', 'critical'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_one_open_per_key" ON "ops"."alerts" USING btree ("key") WHERE "ops"."alerts"."resolved_at" IS NULL;--> statement-breakpoint
CREATE INDEX "alerts_opened" ON "ops"."alerts" USING btree ("opened_at");