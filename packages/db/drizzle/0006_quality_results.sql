CREATE TABLE "ops"."quality_results" (
	"run_id" text NOT NULL,
	"check" text NOT NULL,
	"scope" text NOT NULL,
	"severity" text NOT NULL,
	"status" text NOT NULL,
	"observed" double precision NOT NULL,
	"threshold" double precision NOT NULL,
	"sample" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"checked_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "quality_results_run_id_check_scope_pk" PRIMARY KEY("run_id","check","scope")
);
--> statement-breakpoint
ALTER TABLE "ops"."quality_results" ADD CONSTRAINT "quality_results_run_id_pipeline_runs_run_id_fk" FOREIGN KEY ("run_id") REFERENCES "ops"."pipeline_runs"("run_id") ON DELETE cascade ON UPDATE no action;