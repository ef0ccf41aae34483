import * as React from "react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { Dialog } from "@/components/ui/dialog";
import { render, screen, waitFor } from "../render";

/** A page that opens the dialog itself (no Radix Trigger), as every form dialog here does. */
function Page() {
  const [open, setOpen] = React.useState(false);
  return (
    <>
      <button onClick={() => setOpen(true)}>Delete camera</button>
      {open ? (
        <Dialog title="Delete the camera?" onClose={() => setOpen(false)}>
          <input aria-label="Type the name" />
        </Dialog>
      ) : null}
    </>
  );
}

describe("Dialog", () => {
  it("opens on its first field and gives focus back to the opener when it closes", async () => {
    const user = userEvent.setup();
    render(<Page />);
    const opener = screen.getByRole("button", { name: "Delete camera" });
    await user.click(opener);
    await waitFor(() => expect(screen.getByLabelText("Type the name")).toHaveFocus());
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    await waitFor(() => expect(opener).toHaveFocus());

    await user.click(opener);
    await user.click(screen.getByRole("button", { name: "Close" }));
    await waitFor(() => expect(opener).toHaveFocus());
  });
});
