"""The network between the two sites, as the link sees it: `python -m sandbox partition` drops a
flag file in the runtime directory and both sites' links go silent until `heal` removes it."""
import asyncio

POLL_SECONDS = 0.1


class Partition:
    def __init__(self, flag_path):
        self.flag_path = flag_path
        self.active = flag_path.exists()

    async def watch(self):
        while True:
            self.active = self.flag_path.exists()
            await asyncio.sleep(POLL_SECONDS)
