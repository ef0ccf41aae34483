import * as React from "react";
import { AlertTriangle, CheckCircle2, Info, XCircle } from "lucide-react";
import { cva } from "class-variance-authority";
import { cn } from "@/lib/utils";

type Tone = "info" | "success" | "warning" | "error";

export const alertVariants = cva("flex items-start gap-3 rounded-lg border px-4 py-3 text-sm", {
  variants: {
    tone: {
      info: "border-primary/20 bg-accent text-accent-foreground",
      success: "border-success/25 bg-success-soft text-success",
      warning: "border-warning/30 bg-warning-soft text-warning",
      error: "border-destructive/25 bg-danger-soft text-destructive",
    },
  },
  defaultVariants: { tone: "info" },
});

const icons: Record<Tone, React.ComponentType<{ className?: string; "aria-hidden"?: boolean }>> = {
  info: Info,
  success: CheckCircle2,
  warning: AlertTriangle,
  error: XCircle,
};

export function Alert({
  tone = "info",
  title,
  children,
  className,
  action,
  ...props
}: Omit<React.HTMLAttributes<HTMLDivElement>, "title"> & {
  tone?: Tone;
  title?: React.ReactNode;
  action?: React.ReactNode;
}) {
  const Icon = icons[tone];
  return (
    <div
      role={tone === "error" ? "alert" : "status"}
      className={cn(alertVariants({ tone }), className)}
      {...props}
    >
      <Icon className="mt-0.5 size-4 shrink-0" aria-hidden />
      <div className="min-w-0 flex-1">
        {title ? <p className="font-medium">{title}</p> : null}
        {children ? <div className={cn(title ? "mt-0.5 opacity-90" : "")}>{children}</div> : null}
      </div>
      {action ? <div className="-my-1.5 shrink-0">{action}</div> : null}
    </div>
  );
}
