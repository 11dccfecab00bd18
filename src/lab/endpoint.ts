// Where the lab's controller listens: the root namespace's end of the management network.
// Kept free of imports so the CLI can name the default controller without loading the lab.
export const CONTROLLER_ADDRESS = "fd00:ca:fe::1";
export const CONTROLLER_PORT = 50051;
export const CONTROLLER_ENDPOINT = `[${CONTROLLER_ADDRESS}]:${CONTROLLER_PORT}`;
export const LAB_CONTROLLER_URL = `http://${CONTROLLER_ENDPOINT}`;
