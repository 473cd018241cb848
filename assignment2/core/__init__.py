"""The network and its trainer: what decides a trained result (docs/layout.md). Imports nothing else of the
package."""
