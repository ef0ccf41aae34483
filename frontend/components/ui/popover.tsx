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

type PanelProps = { className?: string } & VariantProps<typeof floatingPanelVariants>;

/**
 * The content part of a Radix floating primitive (Popover, DropdownMenu) as
 * the house uses it: in a portal, on the shared surface, below its trigger
 * and right-aligned, kept 12 px from the window's edges.
 */
export function floatingContent<C extends React.ElementType<PanelProps>>(
  Portal: React.ComponentType<{ children?: React.ReactNode }>,
  Content: C,
  displayName: string,
) {
  const Primitive = Content as React.ElementType;
  const Floating = React.forwardRef<React.ComponentRef<C>, React.ComponentPropsWithoutRef<C> & PanelProps>(
    ({ className, size, ...props }, ref) => (
      <Portal>
        <Primitive
          ref={ref}
          align="end"
          sideOffset={8}
          collisionPadding={12}
          {...props}
          className={cn(floatingPanelVariants({ size }), className)}
        />
      </Portal>
    ),
  );
  Floating.displayName = displayName;
  return Floating;
}

export const Popover = PopoverPrimitive.Root;
export const PopoverTrigger = PopoverPrimitive.Trigger;

/**
 * Radix's Popover content: Escape and a click outside close it, focus goes
 * back to the trigger when it closes. Not modal: the page stays usable.
 */
export const PopoverContent = floatingContent(PopoverPrimitive.Portal, PopoverPrimitive.Content, "PopoverContent");
