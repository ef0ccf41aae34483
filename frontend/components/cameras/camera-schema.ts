// The camera form's draft: its zod schema, how a stored camera becomes a
// draft and a draft the request body. The address's syntax and what it may
// reach are the server's to check: its 422 field errors show at the fields.
import { z } from "zod";
import type { Camera, CameraInput } from "@/lib/types";

/** The server's limit for a camera's name. */
export const CAMERA_NAME_MAX = 100;

export const cameraDraftSchema = z
  .object({
    name: z.string().trim().min(1, "Enter a name.").max(CAMERA_NAME_MAX, `Use at most ${CAMERA_NAME_MAX} characters.`),
    type: z.enum(["rtsp", "usb"]),
    rtsp_url: z.string(),
    username: z.string(),
    password: z.string(), // only what the user types now; never pre-filled
    device_index: z.string(),
    is_enabled: z.boolean(),
  })
  .superRefine((d, ctx) => {
    if (d.type === "rtsp") {
      if (!d.rtsp_url.trim()) ctx.addIssue({ code: "custom", path: ["rtsp_url"], message: "Enter the stream address." });
      return;
    }
    const n = Number(d.device_index);
    if (d.device_index === "" || !Number.isInteger(n) || n < 0)
      ctx.addIssue({ code: "custom", path: ["device_index"], message: "Enter a device number (0 or more)." });
  });

export type CameraDraft = z.infer<typeof cameraDraftSchema>;

export function draftFrom(camera: Camera | null): CameraDraft {
  return {
    name: camera?.name ?? "",
    type: camera?.type ?? "rtsp",
    rtsp_url: camera?.rtsp_url ?? "",
    username: camera?.username ?? "",
    password: "",
    device_index: camera?.device_index != null ? String(camera.device_index) : "0",
    is_enabled: camera?.is_enabled ?? true,
  };
}

/** The draft's problems by field, or {} (a test of the connection needs no name). */
export function cameraDraftErrors(d: CameraDraft, { forTest = false } = {}): Record<string, string> {
  const parsed = cameraDraftSchema.safeParse(d);
  const out: Record<string, string> = {};
  if (parsed.success) return out;
  for (const issue of parsed.error.issues) {
    const field = String(issue.path[0]);
    if (!(forTest && field === "name") && !out[field]) out[field] = issue.message;
  }
  return out;
}

export function payloadFrom(d: CameraDraft, includeEnabled = true): CameraInput {
  const body: CameraInput = { name: d.name.trim(), type: d.type };
  if (includeEnabled) body.is_enabled = d.is_enabled;
  if (d.type === "rtsp") {
    body.rtsp_url = d.rtsp_url.trim();
    body.username = d.username.trim() || null;
    // Empty password = keep the stored one: the field is simply not sent.
    if (d.password) body.password = d.password;
  } else {
    body.device_index = Number(d.device_index);
  }
  return body;
}
