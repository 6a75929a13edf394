// The devices the device-independent tests run on: the binding's list (cpu always, each GPU
// when the CUDA backend finds one), so GPU runs need no new tests.

import { availableDevices } from '../../index.js'

export const DEVICES: string[] = availableDevices()
