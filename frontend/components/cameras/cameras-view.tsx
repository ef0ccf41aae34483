"use client";

import * as React from "react";
import { Cable, KeyRound, LockKeyhole, PlugZap, Usb, Video, AlertTriangle } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { IconTile } from "@/components/ui/icon-tile";
import { Spinner } from "@/components/ui/spinner";
import { AddFirstButton, EnabledBadge, ListPage, ResourceList, RowDeleteButton, RowEditButton, RowEnabledSwitch, editForm, useCrudList, useRowActions, type RowHandlers } from "@/components/crud";
import { EmptyState, PageHeader } from "@/components/states";
import { useAuth } from "@/components/auth-provider";
import { CameraForm } from "@/components/cameras/camera-form";
import { CameraTestResultView, type CameraTestState } from "@/components/cameras/camera-test-result";
import { CameraHealthBadge, CameraSnapshot } from "@/components/cameras/camera-status";
import { useQueryClient } from "@tanstack/react-query";
import { api, errorMessage } from "@/lib/api";
import type { Camera } from "@/lib/types";
import { queryKeys, useApiQuery } from "@/lib/query";

export function CredentialBadge({ camera }: { camera: Camera }) {
  if (camera.type === "usb") return <Badge tone="neutral">No credentials</Badge>;
  const status = camera.credential_status ?? (camera.password ? "set" : "none");
  if (status === "undecryptable")
    return (
      <Badge tone="warning">
        <AlertTriangle aria-hidden /> Password needs re-entry
      </Badge>
    );
  if (status === "set")
    return (
      <Badge tone="success">
        <LockKeyhole aria-hidden /> Password set
      </Badge>
    );
  return (
    <Badge tone="neutral">
      <KeyRound aria-hidden /> No password
    </Badge>
  );
}

export function CamerasView() {
  const auth = useAuth();
  return auth.isAdmin ? <CamerasAdminView /> : <CamerasReadOnlyView />;
}

/**
 * A viewer's cameras: names and status only (the API answers a viewer with
 * nothing else). No form, no test, no switch: they are absent, not disabled.
 */
function CamerasReadOnlyView() {
  const cameras = useApiQuery(queryKeys.cameras, (signal) => api.cameras.list(signal));
  return (
    <>
      <PageHeader title="Cameras" description="The cameras that send events, and whether each is enabled." />
      <ResourceList
        resource={cameras}
        loadingLabel="Loading cameras…"
        empty={
          <EmptyState icon={<Video />} title="No cameras yet">
            An admin adds cameras; their events appear on the Events page.
          </EmptyState>
        }
      >
        {(list) => (
          <ul className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-3" aria-label="Cameras" data-testid="camera-list">
            {list.map((camera) => {
              const TypeIcon = camera.type === "usb" ? Usb : Cable;
              return (
                <li key={camera.id}>
                  <Card className="p-4" data-testid="camera-row">
                    <CameraSnapshot
                      url={camera.snapshot_url}
                      name={camera.name}
                      version={camera.last_test?.at}
                      className="mb-3 aspect-video w-full rounded-lg border bg-muted object-cover"
                    />
                    <div className="flex items-center gap-3">
                    <IconTile>
                      <TypeIcon className="size-5" aria-hidden />
                    </IconTile>
                    <div className="min-w-0 flex-1">
                      <h3 className="truncate font-semibold">{camera.name}</h3>
                      <div className="mt-1 flex flex-wrap gap-1.5">
                        <Badge tone="info">{camera.type === "usb" ? "USB" : "RTSP"}</Badge>
                        <EnabledBadge enabled={camera.is_enabled} />
                        <CameraHealthBadge lastTest={camera.last_test} testId={`camera-health-${camera.id}`} />
                      </div>
                    </div>
                    </div>
                  </Card>
                </li>
              );
            })}
          </ul>
        )}
      </ResourceList>
    </>
  );
}

function CamerasAdminView() {
  const cameras = useApiQuery(queryKeys.cameras, (signal) => api.cameras.list(signal));
  const crud = useCrudList(cameras, "Camera", "added");

  return (
    <ListPage
      title="Cameras"
      description="Network (RTSP) and USB cameras that send events. Credentials are encrypted and never shown."
      addLabel="Add camera"
      addTestId="camera-add"
      crud={crud}
      form={editForm(crud, (camera, handlers) => <CameraForm camera={camera} {...handlers} />)}
      resource={cameras}
      loadingLabel="Loading cameras…"
      empty={
        <EmptyState icon={<Video />} title="No cameras yet" action={<AddFirstButton crud={crud}>Add your first camera</AddFirstButton>}>
          Add an RTSP stream or a USB camera, test the connection, and it will start sending events.
        </EmptyState>
      }
    >
      {(list) => (
        <ul className="grid grid-cols-1 gap-4 lg:grid-cols-2" aria-label="Cameras" data-testid="camera-list">
          {list.map((camera) => (
            // Keyed by the connection details too: a stale test result goes when they change.
            <li key={`${camera.id}|${camera.type}|${camera.rtsp_url}|${camera.username}|${camera.device_index}`}>
              <CameraRow camera={camera} {...crud.rowHandlers(camera)} />
            </li>
          ))}
        </ul>
      )}
    </ListPage>
  );
}

function CameraRow({ camera, onEdit, ...handlers }: { camera: Camera } & RowHandlers<Camera>) {
  const [test, setTest] = React.useState<CameraTestState>({ kind: "idle" });
  const row = useRowActions(camera, {
    update: (enabled) => api.cameras.update(camera.id, { is_enabled: enabled }),
    remove: () => api.cameras.remove(camera.id),
    ...handlers,
  });
  const nameId = `camera-${camera.id}-name`;
  const queryClient = useQueryClient();

  async function runTest() {
    setTest({ kind: "testing" });
    try {
      setTest({ kind: "done", result: await api.cameras.testSaved(camera.id) });
    } catch (err) {
      setTest({ kind: "error", message: errorMessage(err) });
    }
    // The test is remembered: the card's status and snapshot come from the list.
    await queryClient.invalidateQueries({ queryKey: queryKeys.cameras });
  }

  const TypeIcon = camera.type === "usb" ? Usb : Cable;
  return (
    <Card className="flex h-full flex-col p-5" data-testid="camera-row" aria-labelledby={nameId}>
      <div className="flex items-start justify-between gap-3">
        <div className="flex min-w-0 items-start gap-3">
          <IconTile>
            <TypeIcon className="size-5" aria-hidden />
          </IconTile>
          <div className="min-w-0">
            <h3 id={nameId} className="truncate font-semibold">
              {camera.name}
            </h3>
            <p className="truncate font-mono text-xs text-muted-foreground" title={camera.rtsp_url ?? undefined}>
              {camera.type === "usb" ? `USB device ${camera.device_index ?? 0}` : camera.rtsp_url}
            </p>
          </div>
        </div>
        <div className="flex items-center gap-2">
          <RowEnabledSwitch row={row} item={camera} />
        </div>
      </div>
      <div className="mt-3 flex flex-wrap gap-1.5">
        <Badge tone="info">{camera.type === "usb" ? "USB" : "RTSP"}</Badge>
        <EnabledBadge enabled={camera.is_enabled} />
        <CredentialBadge camera={camera} />
        {camera.username ? <Badge tone="neutral">User: {camera.username}</Badge> : null}
      </div>
      <div className="mt-2">
        <CameraHealthBadge lastTest={camera.last_test} testId={`camera-health-${camera.id}`} />
      </div>
      <CameraSnapshot url={camera.snapshot_url} name={camera.name} version={camera.last_test?.at} className="mt-3 aspect-video w-full rounded-lg border bg-muted object-cover" />
      <CameraTestResultView
        state={test}
        className="mt-3 empty:mt-0"
        testId={`camera-test-result-${camera.id}`}
        showSnapshot={false}
      />
      <div className="mt-auto flex flex-wrap items-center gap-2 pt-4">
        <Button
          variant="outline"
          size="sm"
          onClick={() => void runTest()}
          disabled={test.kind === "testing"}
          aria-label={`Test ${camera.name}`}
        >
          {test.kind === "testing" ? <Spinner /> : <PlugZap aria-hidden />}
          Test
        </Button>
        <RowEditButton name={camera.name} onEdit={onEdit} />
        <RowDeleteButton row={row} name={camera.name} />
      </div>
    </Card>
  );
}
