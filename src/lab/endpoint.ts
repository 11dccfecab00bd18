// Where the lab's services listen on its management network: the controller at the root namespace's
// end, the DNS server on the management bridge. Kept free of imports so the CLI can name the default
// controller without loading the lab.
export const CONTROLLER_ADDRESS = "fd00:ca:fe::1";
export const CONTROLLER_PORT = 50051;
export const CONTROLLER_ENDPOINT = `[${CONTROLLER_ADDRESS}]:${CONTROLLER_PORT}`;
export const LAB_CONTROLLER_URL = `https://${CONTROLLER_ENDPOINT}`;

/** The lab's DNS server (dnsmasq in the management namespace): its own address, so port 53 is free. */
export const DNS_ADDRESS = "fd00:ca:fe::53";
export const DNS_PORT = 53;
/** In the form dns.Resolver#setServers takes. */
export const LAB_DNS_SERVER = `[${DNS_ADDRESS}]:${DNS_PORT}`;
