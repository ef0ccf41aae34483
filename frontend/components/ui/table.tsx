import * as React from "react";
import { cn } from "@/lib/utils";

export interface TableColumn {
  label: React.ReactNode;
  /** Added to the column's header cell (width, alignment, when it hides). */
  className?: string;
  key?: string;
}

/** A table's header row: one `th scope="col"` a column, each with `cellClassName` and its own class. */
export function TableHead({
  columns,
  className,
  rowClassName,
  cellClassName,
}: {
  columns: readonly (TableColumn | string)[];
  className?: string;
  rowClassName?: string;
  cellClassName?: string;
}) {
  return (
    <thead className={className}>
      <tr className={rowClassName}>
        {columns.map((column) => {
          const { label, className: own, key } = typeof column === "string" ? { label: column, className: undefined, key: column } : column;
          return (
            <th key={key ?? String(label)} scope="col" className={cn(cellClassName, own)}>
              {label}
            </th>
          );
        })}
      </tr>
    </thead>
  );
}
