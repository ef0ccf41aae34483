"use client";

import * as React from "react";
import * as PopoverPrimitive from "@radix-ui/react-popover";
import { cva, type VariantProps } from "class-variance-authority";
import { cn } from "@/lib/utils";

/**
 * The surface of everything that floats over the page from a trigger: this
 * popover and the dropdown menu. `size` is its width (and padding): `sm` for
 * a short menu, `lg` for a panel with its own header and list.
 */
export const floatingPanelVariants = cva(
  "z-50 rounded-xl border bg-card text-card-foreground shadow-xl outline-none",
  {
    variants: {
      size: {
        sm: "w-64 p-2",
        lg: "w-96 max-w-[calc(100vw-1.5rem)] overflow-hidden",
      },
    },
    defaultVariants: { size: "sm" },
  },
);

export const Popover = PopoverPrimitive.Root;
export const PopoverTrigger = PopoverPrimitive.Trigger;
export const PopoverClose = PopoverPrimitive.Close;

/**
 * Radix's Popover content in a portal: Escape and a click outside close it,
 * focus goes back to the trigger when it closes. Not modal: the page stays usable.
 */
export const PopoverContent = React.forwardRef<
  React.ComponentRef<typeof PopoverPrimitive.Content>,
  React.ComponentPropsWithoutRef<typeof PopoverPrimitive.Content> & VariantProps<typeof floatingPanelVariants>
>(function PopoverContent({ className, size, align = "end", sideOffset = 8, collisionPadding = 12, ...props }, ref) {
  return (
    <PopoverPrimitive.Portal>
      <PopoverPrimitive.Content
        ref={ref}
        align={align}
        sideOffset={sideOffset}
        collisionPadding={collisionPadding}
        className={cn(floatingPanelVariants({ size }), className)}
        {...props}
      />
    </PopoverPrimitive.Portal>
  );
});
