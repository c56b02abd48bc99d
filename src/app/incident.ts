/**
 * The engine untagged or deleted something the plan did not name: a concurrent
 * job changed the image between the re-check and the call. The Engine API has
 * no conditional delete, so this window can be made small but not closed.
 */
export interface Incident {
  /** The image the call was made for. */
  imageId: string;
  /** The call, e.g. `DELETE /images/app:1`. */
  call: string;
  /** References the engine untagged that the plan did not name (or took from another image that got them meanwhile: moved-names.ts). */
  untagged: string[];
  /** Images the engine deleted that the plan did not name (IDs). */
  deleted: string[];
  /** One line for reports. */
  text: string;
}
